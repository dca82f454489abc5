import sys

from bench.micro.run import main

raise SystemExit(main(sys.argv[1:]))
