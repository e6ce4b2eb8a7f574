"""check-startup: start commands, the sys.path they build, the import graph they run, --run."""
