"""`python -m offline`: the offline plan of a stack (what `make plan` runs)."""

import sys

from .plan import main

sys.exit(main())
