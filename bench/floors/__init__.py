"""The cold-start floors: the least a function of each kind could import and build."""
