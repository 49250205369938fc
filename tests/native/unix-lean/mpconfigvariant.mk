# See mpconfigvariant.h.
