"""Regular expressions compiled when first used, not when their module is imported.

`emstui check` must start within 3x an empty interpreter (bench/cli_start.py): importing `re`
and compiling the sanitiser's and the S10 module's patterns at import cost more than the rest
of the command, and most calls (clean ASCII text, a well-formed number) never need them.
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False  # typing's own flag without importing typing (which imports re)
if TYPE_CHECKING:
    import re


@functools.cache
def compiled(source: str) -> re.Pattern[str]:
    """`source` compiled once per process, on the first call that needs it."""
    import re

    return re.compile(source)
