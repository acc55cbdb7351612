def with_meta(mcls, *parents):
    """Make a temporary base class that applies a metaclass."""
    class temporary_meta(type):

        def __new__(klass, class_name, own_bases, ns):
            if sys.version_info[:2] >= (3, 7):
                real_bases = types.resolve_bases(parents)
                if real_bases is not parents:
                    ns['__orig_bases__'] = parents
            else:
                real_bases = parents
            return mcls(class_name, real_bases, ns)

        @classmethod
        def __prepare__(klass, class_name, own_bases):
            return mcls.__prepare__(class_name, parents)
    return type.__new__(temporary_meta, 'temporary_class', (), {})
