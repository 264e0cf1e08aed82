SELECT UPPR(channel) FROM bids
