"""The benchmark suite (`make bench`, bench/README.md). Not part of the product: nothing in the apps imports it."""
