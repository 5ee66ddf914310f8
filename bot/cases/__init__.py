"""Cases (tickets): who may reach a case, and how a citizen continues one."""
