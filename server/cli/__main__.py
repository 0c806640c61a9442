"""`python -m surefix.server.cli`: how the language server starts its retrain child process."""

import sys

from surefix.server.cli import main

sys.exit(main())
