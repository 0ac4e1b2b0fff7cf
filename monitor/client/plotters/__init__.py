"""Plotter progress from plotter log files: bladebit (RAM and CUDA), MadMax/Gigahorse, chia's plotter."""
