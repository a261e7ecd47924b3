"""gosim: generated gRPC API (gosim.v1) lives in gosim.v1."""
