"""asynclint: find the code shapes that make asyncio services hang."""

__version__ = "0.1.0"
