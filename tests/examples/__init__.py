"""Tests of the apps in examples/."""
