"""auditor: trace machine-generated code to the licensed training files it came from.

Importing the package is cheap: heavy libraries (ScanCode, datasets, datasketch)
are imported only by the functions that need them.
"""
__version__ = "0.1.0"
