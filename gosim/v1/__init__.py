"""Generated gRPC API of gosim (package gosim.v1), made by scripts/gen_proto.py."""
