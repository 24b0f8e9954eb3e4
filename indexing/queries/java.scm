; Definitions
(class_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(record_declaration name: (identifier) @name) @definition.class
(annotation_type_declaration name: (identifier) @name) @definition.interface
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.method
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.constant

; Imports: the module is the whole dotted name; the imported name is derived from its last part
(import_declaration [(scoped_identifier) (identifier)] @import.module) @import
(import_declaration [(scoped_identifier) (identifier)] @import.module (asterisk) @import.wildcard) @import
