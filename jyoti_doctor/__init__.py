"""jyoti-doctor: diagnose and repair the startup failures of small-team Python backends."""

__version__ = "0.1.0"
