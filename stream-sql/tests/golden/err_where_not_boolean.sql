SELECT auction FROM bids WHERE price
