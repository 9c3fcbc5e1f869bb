"""Solver back-ends behind one interface (installed as ``buddymatch.solvers``)."""
