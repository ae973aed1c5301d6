#!/usr/bin/env python
from ponton.cli import main

if __name__ == "__main__":
    main()
