"""Private integration kernels on bare arrays (see gamekit.simulate for the mathematics)."""
