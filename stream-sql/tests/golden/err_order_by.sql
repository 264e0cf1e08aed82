SELECT auction FROM bids ORDER BY auction
