import sys

from drun_conformance.cli import main

sys.exit(main())
