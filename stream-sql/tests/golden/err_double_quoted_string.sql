SELECT * FROM bids WHERE channel = "Google"
