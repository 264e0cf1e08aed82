SELECT auction FROM bids WHERE COUNT(*) > 1
