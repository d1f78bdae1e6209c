"""The SSH gateway: `ssh <workspace id>@<host> -p <ssh port>` reaches a shell, a command or a port (`-L`)
in the workspace, through its supervisor (DESIGN.md section 6), for the workspace's owner only."""
