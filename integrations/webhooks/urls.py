"""Public webhook receivers (paths are part of the public URL contract in PRODUCT.md)."""
urlpatterns: list = []
