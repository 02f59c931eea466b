"""The community workforce (社区工作者): workers, the post-and-grade ladder, pay tables, staffing
norms, workload and the yearly assessment. See docs/workforce.md."""
