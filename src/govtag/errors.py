"""One exception type for every input problem a user can fix.

The CLI prints these as a single line (no traceback); library users can catch them.
"""


class GovtagError(Exception):
    """Bad input or setup, with a message that says what is wrong and where."""


def where(path, line: int | None = None, field: str | None = None) -> str:
    """Format a location as ``file:line: field`` for error messages."""
    loc = str(path)
    if line is not None:
        loc += f":{line}"
    if field is not None:
        loc += f": field '{field}'"
    return loc
