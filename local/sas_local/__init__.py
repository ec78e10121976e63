"""The local runtime: the whole platform in one process on moto. Development only, never deployed."""
