module gosimtwin

go 1.26
