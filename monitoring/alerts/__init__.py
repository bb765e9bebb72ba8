"""Alert rules: evaluate conditions, open / repeat / resolve alerts, deliver them on channels."""
