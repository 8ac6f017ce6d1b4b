"""posenc.kernels (placeholder)"""
