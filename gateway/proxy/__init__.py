"""Traffic into workspaces: `<port>-<wsid>.ws.<domain>` and `<wsid>.ws.<domain>` (the IDE), HTTP and
WebSocket, through a CONNECT tunnel to the workspace's supervisor (DESIGN.md section 6)."""
