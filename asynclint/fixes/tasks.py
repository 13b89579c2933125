"""Unsafe fixes for task lifecycle: HNG202, HNG203."""

FIXERS: list = []
