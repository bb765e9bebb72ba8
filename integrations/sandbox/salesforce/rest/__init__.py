"""The simulated REST API (/services/data/...): one route table serves HTTP and composite subrequests."""
