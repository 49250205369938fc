PACKAGE_FLAG = "sub-init"
