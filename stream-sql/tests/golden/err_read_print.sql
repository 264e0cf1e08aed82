SELECT * FROM printed
