"""The hostile-input fuzz harness: runs the real CLI in a bounded subprocess and checks its promises."""
