// Compiles tests/support/pch.hpp once; every test reuses the result.
