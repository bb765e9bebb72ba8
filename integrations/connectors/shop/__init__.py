"""eCommerce order intake: webhook signature checks and order parsing (Shopify, WooCommerce)."""
