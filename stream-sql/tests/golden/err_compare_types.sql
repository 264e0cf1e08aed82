SELECT * FROM bids WHERE channel = 3
