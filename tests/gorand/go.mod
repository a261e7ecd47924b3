module gosim/tests/gorand

go 1.27
