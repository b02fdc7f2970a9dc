"""Benchmarks of moontwist side by side with Moonraker (issue 6), and the fidelity check."""
