"""A correct submission as a package folder, the course's layout: fc_net imports layers."""
