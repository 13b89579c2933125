"""Writing a user's file back: atomically, byte-faithfully, or not at all."""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from typing import Optional, Tuple


class WriteError(Exception):
    """The file was not written; the message says why.

    ``changed`` is True when the file changed on disk since it was read (a
    warning: the next run will see the new content); anything else is an error.
    """

    def __init__(self, message: str, changed: bool = False) -> None:
        super().__init__(message)
        self.changed = changed


@dataclass(frozen=True)
class Original:
    """A file as it was read: its bytes (to detect a concurrent change) and its encoding."""

    path: str
    data: bytes
    encoding: str

    @classmethod
    def read(cls, path: str) -> "Original":
        import io
        import tokenize

        with open(path, "rb") as handle:
            data = handle.read()
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            encoding = "utf-8"
        return cls(path, data, encoding)


def encode(text: str, original: Original) -> bytes:
    """``text`` in the file's own encoding; a BOM is kept by the ``utf-8-sig`` codec."""
    try:
        return text.encode(original.encoding)
    except (UnicodeEncodeError, LookupError) as exc:
        raise WriteError(f"{original.path}: the new text cannot be encoded as {original.encoding}: {exc}") from None


def write_text(original: Original, text: str) -> None:
    """Replace the file's content, if it is still what was read.

    The new bytes go to a temporary file in the target's own folder, which is
    then renamed over it (mode kept). A symlink is written through to its
    target, never replaced by a regular file.
    """
    data = encode(text, original)
    target = os.path.realpath(original.path)
    try:
        with open(target, "rb") as handle:
            current = handle.read()
    except OSError as exc:
        raise WriteError(f"{original.path}: cannot read before writing: {exc.strerror or exc}") from None
    if current != original.data:
        raise WriteError(f"{original.path}: changed on disk since it was read; not writing", changed=True)
    try:
        info = os.stat(target)
    except OSError as exc:
        raise WriteError(f"{original.path}: {exc.strerror or exc}") from None
    if not info.st_mode & stat.S_IWUSR or not os.access(target, os.W_OK):
        # a read-only mode is the owner's intent, even for a user who could override it
        raise WriteError(f"{original.path}: file is read-only; not writing")
    if info.st_nlink > 1:
        # a hard link: a new file renamed over it would split it from its other
        # names, so the bytes are rewritten in place (not atomically)
        try:
            with open(target, "r+b") as handle:
                handle.write(data)
                handle.truncate()
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise WriteError(f"{original.path}: cannot write: {exc.strerror or exc}") from None
        return
    try:
        replace_atomically(target, data, stat.S_IMODE(info.st_mode), owner=(info.st_uid, info.st_gid))
    except OSError as exc:
        raise WriteError(f"{original.path}: cannot write: {exc.strerror or exc}") from None


def replace_atomically(
    target: str,
    data: bytes,
    mode: Optional[int],
    owner: Optional[Tuple[int, int]] = None,
    prefix: str = ".asynclint-",
    sync: bool = True,
) -> None:
    """Write ``data`` to a temporary file in ``target``'s folder, then rename it
    over ``target``: readers see the old file or the new one, never a part.

    ``mode`` None keeps the temporary file's private mode; ``owner`` (uid,
    gid) is kept where the writer may set it; ``sync`` flushes the data to
    disk before the rename (a cache can skip that). Raises OSError.
    """
    directory = os.path.dirname(target) or "."
    tmp: Optional[str] = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        if owner is not None and hasattr(os, "chown"):
            try:  # keep the owner (root fixing a user's file); only a privileged writer can
                os.chown(tmp, *owner)
            except OSError:
                pass
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
        tmp = None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
