"""Collectors that fill parts of the ComputerInfo snapshot from sources outside chia and the hardware."""
