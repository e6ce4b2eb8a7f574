"""Tests of check-startup and doctor."""
