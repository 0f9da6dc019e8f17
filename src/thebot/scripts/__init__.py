"""Console-script entry points: parse arguments, bootstrap the ini, call a feature."""
