"""Small files a user might open: the stories in the e2e tests are told on these."""

MESSY = """import os
import sys
from typing import List, Optional


def load(path: Optional[str] = None) -> List[str]:
    with open(path, "r") as fh:
        lines = [line for line in fh]
    if len(lines) == 0:
        return list([])
    print("loaded %s lines" % len(lines))
    return lines
"""

UNUSED_IMPORT = "import os\n\nVALUE = 1\n"
