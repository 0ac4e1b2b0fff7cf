"""`teafarm copy`: moves finished plots to farm disks; imports nothing of the other packages."""
