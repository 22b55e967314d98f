"""Wire-level simulators: each sits on the far side of the real transport and builds its bytes on its own."""
