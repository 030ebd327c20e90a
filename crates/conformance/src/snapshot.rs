//! Snapshot generation: a profile's differential applied to its base's snapshot.
//!
//! The algorithm works on element ids, as R4 profiles write them:
//! 1. start from the base snapshot (each element remembers its unconstrained "pristine" form);
//! 2. for each differential element, in order, find the snapshot element with its id and
//!    apply the constraints (present members replace, invariants are added);
//! 3. an id that is not there yet is created on demand:
//!    - `…name:slice` (a slice) copies the pristine sliced element and its children, renamed
//!      to the slice id, after the sliced element's last child or slice;
//!    - `…parent.child` where the parent has no children yet expands the parent's type: the
//!      children of the type's snapshot (or of its single type profile, or of the element a
//!      `contentReference` points at) are inserted after the parent, renamed under it, so that
//!      `Patient.identifier.system` constrains `Identifier.system` in place;
//!    - a choice renamed by type (`Observation.valueQuantity`) is the choice element
//!      (`Observation.value[x]`).
//!
//! Differential elements without an id get `path` (plus `:sliceName`) as id. Not supported:
//! specializations (new types), which always ship a snapshot.

use crate::model::{
    Discriminator, DiscriminatorKind, Element, Slicing, SlicingRules, StructureDef,
};
use crate::parse::ElementPatch;

/// Finds StructureDefinitions by canonical url (`url` or `url|version`) while generating.
pub trait StructureSource {
    /// The definition with that canonical, if known.
    fn structure(&self, canonical: &str) -> Option<&StructureDef>;
}

/// The canonical url of a base type (`Identifier`).
pub fn type_url(code: &str) -> String {
    if code.contains(':') {
        code.to_string()
    } else {
        format!("http://hl7.org/fhir/StructureDefinition/{code}")
    }
}

struct Slot {
    element: Element,
    pristine: Element,
    /// True for children added by expanding a type here (not in the base snapshot): slices do
    /// not copy them.
    expanded: bool,
}

struct Generator<'a> {
    slots: Vec<Slot>,
    source: &'a dyn StructureSource,
}

/// Generates the snapshot of a profile from its differential and its base's snapshot.
/// `Err` names the element id that could not be placed.
pub(crate) fn generate(
    differential: &[ElementPatch],
    base: &StructureDef,
    source: &dyn StructureSource,
) -> Result<Vec<Element>, String> {
    let mut generator = Generator {
        slots: base
            .elements
            .iter()
            .map(|e| Slot {
                element: e.clone(),
                pristine: e.clone(),
                expanded: false,
            })
            .collect(),
        source,
    };
    for patch in differential {
        let id = match (&patch.id, &patch.slice_name) {
            (Some(id), _) => id.clone(),
            (None, Some(slice)) => format!("{}:{slice}", patch.path),
            (None, None) => patch.path.clone(),
        };
        let index = generator.ensure(&id, 0)?;
        if let Some(slot) = generator.slots.get_mut(index) {
            patch.apply(&mut slot.element);
        }
        generator.settle_type_slice(index);
    }
    Ok(generator
        .slots
        .into_iter()
        .map(|slot| slot.element)
        .collect())
}

/// Splits `a.b:s.c` into (`a.b:s`, `c`) at the last `.` outside a slice name.
fn split_id(id: &str) -> Option<(&str, &str)> {
    id.rfind('.').map(|dot| (&id[..dot], &id[dot + 1..]))
}

fn is_under(id: &str, parent: &str) -> bool {
    id.strip_prefix(parent)
        .is_some_and(|rest| rest.starts_with('.'))
}

fn is_under_or_slice(id: &str, parent: &str) -> bool {
    id.strip_prefix(parent)
        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with(':'))
}

fn rename(
    element: &Element,
    old_id: &str,
    new_id: &str,
    old_path: &str,
    new_path: &str,
) -> Element {
    let mut copy = element.clone();
    if let Some(rest) = element.id.strip_prefix(old_id) {
        copy.id = format!("{new_id}{rest}");
    }
    if let Some(rest) = element.path.strip_prefix(old_path) {
        copy.path = format!("{new_path}{rest}");
    }
    copy
}

const MAX_DEPTH: usize = 64;

impl Generator<'_> {
    fn find(&self, id: &str) -> Option<usize> {
        self.slots.iter().position(|slot| slot.element.id == id)
    }

    /// The index of the element `id`, created if needed.
    fn ensure(&mut self, id: &str, depth: usize) -> Result<usize, String> {
        if let Some(index) = self.find(id) {
            return Ok(index);
        }
        if depth > MAX_DEPTH {
            return Err(format!("{id}: element nesting too deep"));
        }
        let (parent_id, last) = split_id(id).ok_or_else(|| format!("{id}: not in the base"))?;
        if let Some((name, slice)) = last.split_once(':') {
            let sliced_id = match slice.rsplit_once('/') {
                Some((outer, _)) => format!("{parent_id}.{name}:{outer}"),
                None => format!("{parent_id}.{name}"),
            };
            let sliced = self.ensure(&sliced_id, depth + 1)?;
            let sliced_id = self.id_of(sliced);
            let slice_id = format!("{sliced_id}:{slice}");
            if let Some(existing) = self.find(&slice_id) {
                return Ok(existing);
            }
            return Ok(self.add_slice(sliced, &sliced_id, &slice_id, slice));
        }
        let parent = self.ensure(parent_id, depth + 1)?;
        // The parent may have been found under another id (a renamed choice).
        let parent_id = self.id_of(parent);
        let child_id = format!("{parent_id}.{last}");
        if let Some(index) = self.find(&child_id) {
            return Ok(index);
        }
        let has_children = self
            .slots
            .get(parent + 1)
            .is_some_and(|slot| is_under(&slot.element.id, &parent_id));
        if !has_children {
            self.expand(parent, &parent_id, last)?;
        }
        if let Some(index) = self.find(&child_id) {
            return Ok(index);
        }
        let (choice, type_name) = self
            .find_choice(&parent_id, last)
            .ok_or_else(|| format!("{id}: no such element in the base"))?;
        Ok(self.rename_choice(choice, &parent_id, last, &type_name))
    }

    fn id_of(&self, index: usize) -> String {
        self.slots
            .get(index)
            .map(|slot| slot.element.id.clone())
            .unwrap_or_default()
    }

    /// `valueQuantity` under `parent` finds `value[x]` and the type name `Quantity`.
    fn find_choice(&self, parent_id: &str, last: &str) -> Option<(usize, String)> {
        self.slots.iter().enumerate().find_map(|(index, slot)| {
            let child = slot.element.id.strip_prefix(parent_id)?;
            let choice = child.strip_prefix('.')?.strip_suffix("[x]")?;
            let type_name = last.strip_prefix(choice)?;
            type_name
                .starts_with(|c: char| c.is_ascii_uppercase())
                .then(|| (index, type_name.to_string()))
        })
    }

    /// A choice named by type (`valueQuantity`). At the top level (no slice above) it is a
    /// type slice `value[x]:valueQuantity`; inside a slice it restricts the choice itself, as
    /// the IG Publisher does.
    fn rename_choice(
        &mut self,
        choice: usize,
        parent_id: &str,
        last: &str,
        type_name: &str,
    ) -> usize {
        let keep_type = |element: &mut Element| {
            element
                .types
                .retain(|t| t.code.eq_ignore_ascii_case(type_name));
        };
        if parent_id.contains(':') {
            if let Some(slot) = self.slots.get_mut(choice) {
                keep_type(&mut slot.element);
            }
            return choice;
        }
        let choice_id = self.id_of(choice);
        let slice_id = format!("{choice_id}:{last}");
        if let Some(existing) = self.find(&slice_id) {
            return existing;
        }
        if let Some(slot) = self.slots.get_mut(choice)
            && slot.element.slicing.is_none()
        {
            slot.element.slicing = Some(Slicing {
                discriminators: vec![Discriminator {
                    kind: DiscriminatorKind::Type,
                    path: "$this".to_string(),
                }],
                rules: SlicingRules::Open,
                ordered: false,
            });
        }
        let slice = self.add_slice(choice, &choice_id, &slice_id, last);
        if let Some(slot) = self.slots.get_mut(slice) {
            keep_type(&mut slot.element);
        }
        slice
    }

    /// After a type slice got its constraints: a mandatory type slice (min ≥ 1) makes the
    /// choice itself mandatory and of that type only.
    fn settle_type_slice(&mut self, index: usize) {
        let Some(slot) = self.slots.get(index) else {
            return;
        };
        let Some(slice_name) = &slot.element.slice_name else {
            return;
        };
        let Some(choice_id) = slot
            .element
            .id
            .strip_suffix(slice_name.as_str())
            .and_then(|rest| rest.strip_suffix(':'))
            .filter(|choice_id| choice_id.ends_with("[x]"))
        else {
            return;
        };
        if slot.element.min == 0 {
            return;
        }
        let (min, types) = (slot.element.min, slot.element.types.clone());
        let Some(choice) = self.find(choice_id) else {
            return;
        };
        if let Some(choice_slot) = self.slots.get_mut(choice) {
            choice_slot.element.min = choice_slot.element.min.max(min);
            choice_slot.element.types = types;
        }
    }

    /// Copies the pristine sliced element (and its non-slice children) as a new slice.
    fn add_slice(
        &mut self,
        sliced: usize,
        sliced_id: &str,
        slice_id: &str,
        slice_name: &str,
    ) -> usize {
        let mut end = sliced + 1;
        while self
            .slots
            .get(end)
            .is_some_and(|slot| is_under_or_slice(&slot.element.id, sliced_id))
        {
            end += 1;
        }
        let copies: Vec<Slot> = self
            .slots
            .get(sliced..end)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter(|(offset, slot)| {
                *offset == 0 || (!slot.expanded && is_under(&slot.element.id, sliced_id))
            })
            .map(|(offset, slot)| {
                let mut pristine = rename(&slot.pristine, sliced_id, slice_id, "", "");
                if offset == 0 {
                    // A slice starts optional: the base minimum applies to all slices together.
                    pristine.slice_name = Some(slice_name.to_string());
                    pristine.slicing = None;
                    pristine.min = 0;
                }
                Slot {
                    element: pristine.clone(),
                    pristine,
                    expanded: false,
                }
            })
            .collect();
        self.slots.splice(end..end, copies);
        end
    }

    /// Inserts the children of the parent's type (or content reference) after it.
    fn expand(&mut self, parent: usize, parent_id: &str, child: &str) -> Result<(), String> {
        let Some(parent_slot) = self.slots.get(parent) else {
            return Err(format!("{parent_id}: not in the base"));
        };
        let parent_element = parent_slot.element.clone();
        let children: Vec<Element> = if let Some(reference) = &parent_element.content_reference {
            let target = reference.rsplit('#').next().unwrap_or(reference);
            let start = self
                .slots
                .iter()
                .position(|slot| slot.pristine.id == target)
                .ok_or_else(|| format!("{parent_id}: content reference {reference} not found"))?;
            self.slots
                .iter()
                .skip(start + 1)
                .take_while(|slot| is_under_or_slice(&slot.pristine.id, target))
                .filter(|slot| is_under(&slot.pristine.id, target))
                .map(|slot| {
                    rename(
                        &slot.pristine,
                        target,
                        parent_id,
                        target,
                        &parent_element.path,
                    )
                })
                .collect()
        } else {
            let definition = self.type_definition(&parent_element, parent_id, child)?;
            let root = definition
                .elements
                .first()
                .ok_or_else(|| format!("{parent_id}: type {} has no elements", definition.url))?;
            definition
                .elements
                .iter()
                .skip(1)
                .filter(|e| is_under(&e.id, &root.id))
                .map(|e| rename(e, &root.id, parent_id, &root.path, &parent_element.path))
                .collect()
        };
        let slots = children.into_iter().map(|element| Slot {
            pristine: element.clone(),
            element,
            expanded: true,
        });
        self.slots.splice(parent + 1..parent + 1, slots);
        Ok(())
    }

    /// The StructureDefinition whose children an element gets: its single type's profile, or
    /// the type; for a choice, the type named by the slice (`value[x]:valueQuantity`).
    fn type_definition(
        &self,
        element: &Element,
        element_id: &str,
        child: &str,
    ) -> Result<&StructureDef, String> {
        let chosen = match element.types.as_slice() {
            [] => return Err(format!("{element_id}.{child}: {element_id} has no type")),
            [single] => single,
            several => {
                let slice = element.slice_name.as_deref().unwrap_or("");
                let base_name = element.name().trim_end_matches("[x]");
                let type_name = slice.strip_prefix(base_name).unwrap_or("");
                several
                    .iter()
                    .find(|t| t.code.eq_ignore_ascii_case(type_name))
                    .ok_or_else(|| {
                        format!("{element_id}.{child}: cannot tell which type of {element_id}")
                    })?
            }
        };
        if let [profile] = chosen.profiles.as_slice()
            && let Some(definition) = self.source.structure(profile)
        {
            return Ok(definition);
        }
        self.source
            .structure(&type_url(&chosen.code))
            .ok_or_else(|| format!("{element_id}.{child}: type {} not found", chosen.code))
    }
}
